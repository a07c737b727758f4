"""`make bench`: botdeck's figures next to baselines measured in the same run."""
