"""The benchmark: the walking-skeleton pipeline beside this machine's PostgreSQL and JetStream ceilings."""
