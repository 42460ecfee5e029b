//go:build integration

package sflow

import (
	"net"
	"strconv"
	"testing"
)

func freePort(t *testing.T) int {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// portTaken: a daemon listens once the port cannot be bound any more.
func portTaken(port int) bool {
	c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return true
	}
	c.Close()
	return false
}
