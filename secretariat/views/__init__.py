"""The workspace's pages: setting an agreement up (`setup`) and importing into it (`imports`)."""
