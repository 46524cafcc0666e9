package planted

func queue() any {
	return make(chan int, 1) // want: channel type
}
