package planted

func spawn(f func()) {
	go f() // want: go statement
}
