"""Social-inbox channels: Rasa input/output connectors for the platforms followers write from.

One module per platform (``messenger``, ``instagram``, ``whatsapp``, ``x``, ``telegram``; Meta's
shared Messenger Platform code in ``meta``), built on shared pieces: ``settings`` (env variables),
``base`` (webhook safety: size limit, signatures, JSON, idempotency, text neutralisation),
``delivery`` (the shared output channel), ``outbound`` (HTTP sends with retries), ``failures``
(recording undeliverable replies), ``ids`` (conversation ids ``<channel>:<platform id>``),
``ratelimit`` (per-address and per-follower limits) and ``follower_tokens`` (server-issued
REST / web-chat identities, used by ``web``: Rasa's REST and socket.io channels, wrapped).
See ``docs/channels.md``.

Nothing is imported here on purpose: importing ``bot.channels`` stays cheap and side-effect free.
"""
