"""What a delegation policy lets a delegate reach: the explanation's model, the probes that
fill it, the ceiling of the roles the delegate creates, and its text, JSON and HTML renderings."""
