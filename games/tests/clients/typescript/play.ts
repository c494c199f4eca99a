// A strict TypeScript program against types generated from the live schema
// (openapi-typescript) with openapi-fetch: sign up, play a solo game to the
// end, read the room list, and decode errors into the one Error type.
// games/tests/test_generated_clients.py generates "mm-schema", type-checks
// this with `tsc --strict --noEmit`, then compiles and runs it against a
// live daphne. Any field the schema leaves optional that the program relies
// on is a compile error here.
import createClient from "openapi-fetch";
import type { components, paths } from "mm-schema";

type Room = components["schemas"]["Room"];
type GuessResult = components["schemas"]["GuessResult"];
type ApiError = components["schemas"]["Error"];

function fail(step: string, error: ApiError): never {
  throw new Error(`${step}: ${error.code}: ${error.detail}${error.field ? ` (${error.field})` : ""}`);
}

async function main(baseUrl: string): Promise<void> {
  const anon = createClient<paths>({ baseUrl });
  const username = `ts-${Date.now()}`;
  const signup = await anon.POST("/api/v1/auth/register/", {
    body: { username, password: "a long passphrase" },
  });
  if (signup.error) fail("register", signup.error);
  const token: string = signup.data.token;
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Token ${token}` } });

  const quick = await api.POST("/api/v1/quick-play/", {
    body: { code_length: 2, colors: 2, max_guesses: 4 },
  });
  if (quick.error) fail("quick play", quick.error);
  const room: Room = quick.data;
  if (room.status !== "playing" || room.settings.code_length !== 2) {
    throw new Error(`quick play gave ${room.status} ${room.settings.code_length}`);
  }

  // Fields a server always sends are required in the types, so no `?? default` here.
  const shown: { name: string; private: boolean; version: number; started: string | null } = {
    name: room.name,
    private: room.private,
    version: room.version,
    started: room.started_at,
  };
  const me = room.players[0];
  if (me === undefined) throw new Error("quick play has no player");
  const seat: { username: string; status: string; guesses_used: number; place: number | null } = me;
  if (shown.started === null || seat.username !== username) throw new Error("quick play did not start");

  let last: GuessResult | null = null;
  for (const guess of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
    const move = await api.POST("/api/v1/rooms/{code}/guesses/", {
      params: { path: { code: room.code } },
      body: { guess },
    });
    if (move.error) fail(`guess ${guess.join(",")}`, move.error);
    last = move.data;
    if (last.solved) break;
  }
  if (last === null || !last.solved) throw new Error("four guesses did not solve a 2x2 code");

  const finished = await api.GET("/api/v1/rooms/{code}/", { params: { path: { code: room.code } } });
  if (finished.error) fail("room", finished.error);
  const secret: number[] | null = finished.data.secret;
  if (finished.data.status !== "finished" || secret === null) throw new Error("the room did not finish");

  const list = await api.GET("/api/v1/rooms/", {
    params: { query: { mine: true, ordering: "-created_at", page_size: 10 } },
  });
  if (list.error) fail("list", list.error);
  const codes: string[] = list.data.results.map((listed: Room) => listed.code);
  if (!codes.includes(room.code)) throw new Error(`${room.code} is not in my list ${codes.join(",")}`);

  const again = await api.POST("/api/v1/rooms/{code}/guesses/", {
    params: { path: { code: room.code } },
    body: { guess: [0, 0] },
  });
  const conflict: ApiError | undefined = again.error;
  if (again.response.status !== 409 || conflict?.code !== "wrong_state") {
    throw new Error(`a guess after the end answered ${again.response.status}`);
  }
  const bad = await api.POST("/api/v1/rooms/", { body: { mode: "solo", colors: 99 } });
  if (bad.response.status !== 400 || bad.error?.field !== "colors" || !bad.error.errors?.["colors"]) {
    throw new Error(`colors=99 answered ${bad.response.status}`);
  }
  const missing = await api.GET("/api/v1/rooms/{code}/", { params: { path: { code: "ZZZZZZ" } } });
  if (missing.response.status !== 404 || missing.error?.code !== "not_found") {
    throw new Error(`an unknown room answered ${missing.response.status}`);
  }
  console.log(JSON.stringify({ room: room.code, guesses: last.number, listed: codes.length }));
}

main(process.argv[2] ?? "http://127.0.0.1:8000").catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
