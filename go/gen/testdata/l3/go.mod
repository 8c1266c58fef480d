module example.com/l3

go 1.22
