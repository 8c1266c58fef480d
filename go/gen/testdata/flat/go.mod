module example.com/flat

go 1.22
