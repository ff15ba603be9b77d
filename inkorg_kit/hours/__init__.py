"""Time as the kit counts it: Swedish holidays and eves, datetime parsing, working hours inside
send windows, and the active-hours clock of the reach model."""
