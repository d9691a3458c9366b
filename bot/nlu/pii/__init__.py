"""Sensitive details in follower messages: the detector (``detect``, pure), masking at ingress
(``ingress``) and the NLU component (``component``, spaCy). See ``detect`` for what is masked."""
