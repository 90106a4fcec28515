"""The local development stack: everything `make run` starts, in order, on embedded defaults."""
