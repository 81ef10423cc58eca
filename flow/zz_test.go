package flow
import ("testing";"fmt")
func TestZZ(t *testing.T) {
	for _, s := range []string{"Nombre: Julio César Duarte", "nombre: Ana", "Mi nombre: Ana"} {
		n, ok := ParseName(s); fmt.Println(s, "->", n, ok)
	}
}
