"""carebot's action server (``rasa run actions --actions actions``): one module per action."""

from actions.respond import ActionRespond

__all__ = ["ActionRespond"]
