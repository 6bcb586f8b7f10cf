"""Teams: a team's models and limits bound its keys; its members are users."""
