module example.com/vals

go 1.22
