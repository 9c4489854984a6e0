module github.com/redwatch/redwatch

go 1.26.8
