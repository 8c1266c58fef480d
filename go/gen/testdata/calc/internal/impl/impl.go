package impl

func Hidden() {}
