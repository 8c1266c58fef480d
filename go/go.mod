module github.com/usegolib/usegolib/go

go 1.24
