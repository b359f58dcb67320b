"""Placeholder until the web layer lands: registers nothing yet."""


def init_app(app):
    return None
