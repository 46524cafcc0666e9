package planted

import (
	"fmt"
	f "fmt"
)

func all(v any) string {
	fmt.Print(v)         // want: fmt.Print
	f.Printf("%v", v)    // want: fmt.Printf
	fmt.Println(v)       // want: fmt.Println
	_, _ = fmt.Scan(v)   // want: fmt.Scan
	_, _ = fmt.Scanf("") // want: fmt.Scanf
	_, _ = fmt.Scanln(v) // want: fmt.Scanln
	print(v)             // want: print
	println(v)           // want: println
	return fmt.Sprintf("%v", v) + f.Sprint(v)
}
