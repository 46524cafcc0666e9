package planted

// Outbox is a channel type from another package; its declaration is not
// here, so the send is the only violation in this file.
func emit(out Outbox) {
	out <- 1 // want: channel send
}
