package sensitive

import "testing"

func TestName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "MYSQL_ROOT_PASSWORD": true, "api_token": true, "AWS_SECRET_ACCESS_KEY": true,
		"requirepass": true, "SSL_CERT": true, "GITHUB_AUTH": true, "PRIVATE_DATA": true, "CREDENTIALS": true,
		"REDIS_HOST": false, "PORT": false, "POSTGRES_USER": false, "DEBUG": false, "": false,
	} {
		if got := Name(name); got != want {
			t.Errorf("Name(%q) = %v, want %v", name, got, want)
		}
	}
}
