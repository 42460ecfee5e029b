package flow

import (
	"encoding/binary"
	"net"
	"syscall"
)

const msgTrunc = syscall.MSG_TRUNC

// enableDropCounter asks the kernel to attach the socket's drop counter
// (SO_RXQ_OVFL: datagrams dropped because the receive buffer was full) to
// every datagram read.
func enableDropCounter(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
	}); err != nil {
		return err
	}
	return serr
}

// parseDropCounter finds the SO_RXQ_OVFL control message in oob.
func parseDropCounter(oob []byte) (uint32, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}
