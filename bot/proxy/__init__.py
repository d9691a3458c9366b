"""A small asyncio HTTP/1.1 reverse proxy that spreads requests over N Rasa instances.

``carebot run`` starts it when ``CAREBOT_INSTANCES`` > 1: the proxy listens on the public port
(``CAREBOT_RASA_PORT``, 5005) and instance *i* (1..N) on that port + *i*. Every instance shares
one Redis tracker store and lock store, so any instance can serve any message: the tracker
always comes from Redis, and the lock store, ``bot.rasa_ext.lock_store.FailSafeRedisLockStore``
(``endpoints.yml``), orders the messages of one conversation across instances. It is Rasa's
ticket lock with each step done in one Lua script, so it is atomic in Redis (Rasa 3.6's own
``RedisLockStore`` takes a ticket with a GET then a SET, and two instances could both take the
first one); while Redis is unreachable it falls back to in-process locks.
``tests/process/test_multi_instance.py`` checks it with two real instances: concurrent followers'
trackers hold every message once, in order; a burst of simultaneous messages in one
conversation, sent through the proxy or straight to both instances at once, is stored exactly
once each and answered by its own action run.
``carebot run`` uses ``--routing sender`` (``CAREBOT_PROXY_ROUTING``, default ``sender``): the
REST body's ``sender`` picks the instance, so a conversation stays on one instance while that
instance is up, and a burst in one conversation waits on one instance instead of polling across
two. ``round_robin`` spreads every request regardless of its conversation; with the atomic lock
store both are safe (docs/scaling.md).

What passes: any HTTP/1.1 request (REST channel, the HTTP API, the social webhooks, the REST
inbox), with keep-alive on both sides, ``Content-Length`` or chunked bodies, streamed
responses (``?stream=true``) and ``Upgrade`` (WebSocket) tunnels. socket.io (web chat) needs
every request of a session on the instance that opened it, which a plain round-robin cannot
know (the session id is chosen by the server), so ``/socket.io/`` always goes to instance 1
(the next one up if it is down). Rasa 3.6's socket.io server keeps its sockets in its own
process, so a message *to* a web-chat follower must be sent by that instance too: the HTTP API
(``/conversations/…``: agent replies, hand-backs, tracker reads; little traffic) also goes to
instance 1. REST, the social webhooks and the REST inbox are spread over every instance.
In production nginx does the same job (``deploy/nginx.conf``).

Failover: a connection an instance refuses marks it down for ``down_seconds`` and the request
goes to the next instance (nothing was sent, so retrying is safe for any method); an error after
the request was sent answers ``502`` (the message may have been processed; it is not replayed).

``GET /metrics`` answers the proxy's own counters and, with ``--metrics`` (Redis from
``REDIS_URL``), every carebot metric (:mod:`bot.stats.metrics`), to the same callers as the
workspace's ``/metrics``: ``Authorization: Bearer <CAREBOT_METRICS_TOKEN>`` when that is set,
else any workspace account's token. ``GET /proxy/status`` lists the instances as JSON.
Run alone: ``python -m bot.proxy --listen 0.0.0.0:5005 --backend 127.0.0.1:5006 --backend
127.0.0.1:5007``.

Modules: ``messages`` (reading and writing HTTP/1.1 messages), ``routing`` (the instances and
which one a request goes to), ``upstream`` (connections to an instance, relaying its response),
``server`` (the :class:`~bot.proxy.server.Proxy`: serving clients, failover), ``metrics``
(``GET /metrics``), ``cli`` (``python -m bot.proxy``).
"""
