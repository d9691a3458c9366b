"""Redis keys of the follower features (listed in :class:`bot.queue.keys.Keys`' docstring).

==========================================  ======  =============================================
``{p}:follower:{channel}:{sender}``         hash    a conversation's follower: ``channel``,
                                                    ``sender``, ``name``, ``handle`` (where the
                                                    platform gives them), ``first_seen``,
                                                    ``last_seen`` (last inbound message, unix s),
                                                    ``last_message_id``, ``contact``
``{p}:follower:{channel}:{sender}:tickets`` zset    the conversation's ticket ids, score =
                                                    created (indexed from the audit stream)
``{p}:followers:cursor``                    string  audit-stream id the ticket index has read to
``{p}:contacts:seq``                        string  INCR counter behind contact ids (``C-000042``)
``{p}:contact:{id}``                        hash    a person linked across conversations:
                                                    ``id``, ``created_at``, ``created_by``
``{p}:contact:{id}:members``                set     its conversations (``Keys.conversation``)
``{p}:presence:{ticket}``                   zset    agents viewing / typing in a ticket, score =
                                                    when it expires (unix s)
``{p}:presence:{ticket}:state``             hash    agent -> ``viewing`` | ``typing``
``{p}:draft:{ticket}``                      string  the agent typing a draft on a ticket they hold
                                                    (expires a few seconds after the last key)
``{p}:signal:{kind}:{channel}:{sender}``    string  last typing indicator / read receipt sent to
                                                    a follower (rate limit; short TTL)
``{p}:presence``                            pubsub  presence changes, fanned out to the consoles
==========================================  ======  =============================================
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FollowerKeys:
    """The follower features' keys for one prefix (``CAREBOT_QUEUE_PREFIX``)."""

    prefix: str = "carebot"

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def follower(self, channel: str, sender: str) -> str:
        return self._k("follower", channel, sender)

    def tickets(self, channel: str, sender: str) -> str:
        return self._k("follower", channel, sender, "tickets")

    @property
    def cursor(self) -> str:
        return self._k("followers", "cursor")

    @property
    def contact_seq(self) -> str:
        return self._k("contacts", "seq")

    def contact(self, contact_id: str) -> str:
        return self._k("contact", contact_id)

    def members(self, contact_id: str) -> str:
        return self._k("contact", contact_id, "members")

    def presence(self, ticket_id: str) -> str:
        return self._k("presence", ticket_id)

    def presence_state(self, ticket_id: str) -> str:
        return self._k("presence", ticket_id, "state")

    def draft(self, ticket_id: str) -> str:
        return self._k("draft", ticket_id)

    def signal(self, kind: str, channel: str, sender: str) -> str:
        return self._k("signal", kind, channel, sender)

    @property
    def presence_channel(self) -> str:
        """The pub/sub channel of presence changes."""
        return self._k("presence")
