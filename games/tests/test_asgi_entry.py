"""config.asgi, the one entry point `make run` serves."""


def test_the_served_process_leaves_its_startup_objects_out_of_garbage_collection():
    """config.asgi freezes what it loaded (the views included), so full collections skip it under load."""
    import gc

    import config.asgi  # noqa: F401 - importing it is what freezes

    assert gc.get_freeze_count() > 50_000
