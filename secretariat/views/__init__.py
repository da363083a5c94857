"""The workspace's pages: opening an agreement, its workspace and settings (`agreements`), its
parties (`parties`), its working groups and chapters (`structure`), and importing into it
(`imports`)."""
