"""Meetings service: series, agendas, attendance, minutes, decisions, action items."""
