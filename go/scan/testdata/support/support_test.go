package support

func OnlyInTests() int { return 1 }
