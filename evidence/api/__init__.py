"""Placeholder until the api layer lands: registers nothing yet."""


def init_app(app):
    return None
