"""Followers as people, not just tickets: profiles captured at ingress, tickets per conversation,
contacts linking one person's conversations across channels (``book``), and what the workspace
shows of them (``bot.workspace.followers_routes``). Keys: :class:`bot.followers.keys.FollowerKeys`.
"""
