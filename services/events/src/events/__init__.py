"""Events service: events, programmes, registration with waiting lists, reminders, feeds."""
