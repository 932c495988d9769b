package main

func (b *bench) slowLink() {}
