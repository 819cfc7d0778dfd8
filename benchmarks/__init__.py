"""Speed and memory measurements; run with `make benchmark`. Not tests: they assert nothing."""
