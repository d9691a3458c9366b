"""Social-inbox channels: Rasa input/output connectors for the platforms followers write from.

One module per platform (``messenger``, ``instagram``, ``whatsapp``, ``x``, ``telegram``; Meta's
shared Messenger Platform code in ``meta``), built on shared pieces: ``settings`` (env variables),
``base`` (webhook safety: size limit, signatures, JSON, idempotency, text neutralisation),
``delivery`` (the shared output channel), ``outbound`` (HTTP sends with retries) and
``failures`` (recording undeliverable replies). See ``docs/channels.md``.

Nothing is imported here on purpose: importing ``bot.channels`` stays cheap and side-effect free.
"""
