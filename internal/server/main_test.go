package server_test

import (
	"os"
	"testing"

	"roster/internal/sqlstore/sqltest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sqltest.DropTemplate()
	os.Exit(code)
}
