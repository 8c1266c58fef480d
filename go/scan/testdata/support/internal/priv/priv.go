package priv

func Hidden() int { return 1 }
