module github.com/cis-agencia/cis

go 1.26.8

require (
	github.com/labstack/echo/v4 v4.16.0
	github.com/malaschitz/randomForest v0.0.0-20251101172028-7c30b8b21d88
	github.com/mattn/go-sqlite3 v1.14.53
	golang.org/x/text v0.44.0
)

require (
	github.com/labstack/gommon v0.5.0 // indirect
	github.com/mattn/go-colorable v0.1.15 // indirect
	github.com/mattn/go-isatty v0.0.22 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasttemplate v1.2.2 // indirect
	golang.org/x/crypto v0.53.0 // indirect
	golang.org/x/net v0.56.0 // indirect
	golang.org/x/sys v0.46.0 // indirect
	gonum.org/v1/gonum v0.9.3 // indirect
)
