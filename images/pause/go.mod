module livestream-operator/images/pause

go 1.22
