module github.com/libegw/libegw/bindings/go

go 1.22
