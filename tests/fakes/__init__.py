"""Test doubles that speak the platforms' real wire formats (see ``platforms``)."""
