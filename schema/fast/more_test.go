package fast_test

import "testing"

func TestScratchMore(t *testing.T) {
	var res result
	for name, src := range map[string]string{
		"a1": "services:\n  web:\n    image: &img 5\n",
		"a2": "services:\n  web:\n    image: &img   5\n",
		"a3": "services:\n  web:\n    image: x\n    logging: &l   [1]\n",
		"a4": "services:\n  web:\n    image: x\n    logging: &l {driver: 1}\n",
		"a5": "services:\n  web:\n    image: x\n    cap_add: &l [a, a]\n",
		"a6": "services:\n  web:\n    image: x\n    cap_add: &l\n      - a\n      - a\n",
		"a7": "services:\n  web:\n    image: x\n    cap_add: !override\n      - a\n      - a\n",
		"a8": "services:\n  web:\n    image: x\n    cap_add: !!seq\n      - a\n      - a\n",
		"a9": "services:\n  web:\n    image: x\n    cap_add: !!seq [a, a]\n",
		"a10": "services:\n  web:\n    image: !!str &x 5\n    cpu_count: &y !!str 5\n",
		"d1": "x-a: &a {image: 5}\nservices:\n  web:\n    <<: *a\n    image: 6\n    image: x\n",
		"d2": "x-a: &a {image: 5}\nservices:\n  web:\n    <<: *a\n    image: x\n    image: 6\n",
		"d3": "x-a: &a {image: 5}\nservices:\n  web:\n    image: x\n    image: 6\n    <<: *a\n",
		"d4": "x-a: &a {image: x}\nservices:\n  web:\n    image: 7\n    image: 6\n    <<: *a\n",
		"d5": "x-a: &a {image: x, image: 7}\nservices:\n  web:\n    <<: *a\n",
	} {
		compare(t, name, []byte(src), &res)
	}
}
