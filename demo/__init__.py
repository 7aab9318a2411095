"""The demo center for `make run` and the browser tests: `generator` builds a simulated
month, `feed` keeps live traffic flowing, `seed_demo` puts both behind one command."""
