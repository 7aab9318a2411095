"""Signals about people, for the apps that plan and count their work.

agents never imports scheduling (tests/test_architecture.py): scheduling connects to
these in its AppConfig.ready, so the arrow keeps pointing from scheduling to agents.
"""

from django.dispatch import Signal

# An agent moved to another team (sent inside the moving transaction, after the agent is
# saved). Arguments: agent, team (the new team, or None), by (the user, or None), reason
# (the text for the history rows). scheduling moves the agent's coming shifts along.
agent_moved = Signal()
