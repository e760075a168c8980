package synth

// Given names and family names are drawn independently, so a generated
// person is an arbitrary pairing and stands for nobody.
var firstNames = []string{
	"Ada", "Aiko", "Amara", "Anika", "Aria", "Beatriz", "Camille", "Chloe",
	"Dalia", "Elena", "Farah", "Grace", "Hana", "Ines", "Isla", "Jade",
	"Keira", "Lena", "Maya", "Nadia", "Noor", "Olivia", "Priya", "Rosa",
	"Sofia", "Tamsin", "Yara", "Zoe",
	"Aarav", "Ben", "Caleb", "Dario", "Eli", "Felix", "Gabriel", "Hugo",
	"Idris", "Jonah", "Kenji", "Liam", "Mateo", "Milo", "Nikhil", "Omar",
	"Owen", "Rafael", "Ravi", "Sami", "Theo", "Tomas", "Wei", "Yusuf",
	"Alex", "Ari", "Jordan", "Quinn", "Robin", "Sasha",
}

var lastNames = []string{
	"Abara", "Albright", "Bellweather", "Brightwater", "Castellan",
	"Dunmore", "Eastwick", "Fairbairn", "Fenwick", "Galloway", "Hartwell",
	"Holloway", "Ishikawa", "Kettering", "Lindqvist", "Marchetti",
	"Nakashima", "Okonkwo", "Pemberton", "Quillfeather", "Ravensworth",
	"Saltmarsh", "Sandoval", "Thistlewood", "Underhill", "Varga",
	"Whitlock", "Winterbourne", "Yardley", "Zamora",
}
