//go:build !linux

package flow

import (
	"errors"
	"net"
)

const msgTrunc = 0

func enableDropCounter(*net.UDPConn) error {
	return errors.New("SO_RXQ_OVFL is Linux-only")
}

func parseDropCounter([]byte) (uint32, bool) { return 0, false }
