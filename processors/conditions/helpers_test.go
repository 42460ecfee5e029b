package conditions_test

import (
	"errors"

	"github.com/shipper-project/shipper/shipper/config"
)

func asConfigError(err error, ce **config.Error) bool { return errors.As(err, ce) }
