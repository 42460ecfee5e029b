package addhostmetadata

import "syscall"

// uname returns the machine (architecture) and the kernel release.
func uname() (machine, release string) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "", ""
	}
	return charsToString(u.Machine[:]), charsToString(u.Release[:])
}

func charsToString[T int8 | uint8](c []T) string {
	b := make([]byte, 0, len(c))
	for _, x := range c {
		if x == 0 {
			break
		}
		b = append(b, byte(x))
	}
	return string(b)
}
