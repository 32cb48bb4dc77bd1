"""The credential scanner core behind ``nbtools scan`` (pure: no printing, no exiting)."""
