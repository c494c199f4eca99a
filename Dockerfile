FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time and served by WhiteNoise.
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput

RUN useradd --create-home mastermind && mkdir -p /app/var && chown mastermind /app/var
USER mastermind

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"

# Serve HTTP and WebSockets with daphne. Migrations are not run here: several
# replicas starting at once would race. docker-compose.yml runs them once, in
# the one-off `migrate` service the web processes wait for; elsewhere run
# `python manage.py migrate --noinput` once per release, before the servers.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
