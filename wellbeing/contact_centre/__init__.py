"""Events from contact-centre platforms and recovery breaks that take the agent out of the queue."""
