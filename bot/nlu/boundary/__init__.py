"""The boundary around each FAQ (issue 16): ``model`` (kNN margin, conformal thresholds, pure
NumPy) and ``component`` (the Rasa gate after the intent classifier)."""
